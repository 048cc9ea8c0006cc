// osscli drives Alibaba's Go OSS SDK (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev, 1.5.0) against
// an OSS endpoint for Lanyard's interop tests. Each run performs one operation and prints one JSON object:
// {"ok":true,...} with the operation's results, or {"ok":false,"status":N,"code":"...","message":"..."}
// with the service's error. Build in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o osscli ./Tests/Interop/go/osscli
//
// Object keys travel as command-line arguments, so their bytes reach the SDK unchanged.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"regexp"
	"strconv"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Go 1.5 does not read x-oss-err, so an error answer without a body (HEAD) only carries the status here.
var bodilessStatus = regexp.MustCompile(`without a response body \((\d{3})`)

func main() {
	endpoint := flag.String("endpoint", "", "OSS endpoint, e.g. http://127.0.0.1:8200")
	accessKeyID := flag.String("ak", "", "AccessKeyId")
	accessKeySecret := flag.String("sk", "", "AccessKeySecret")
	token := flag.String("token", "", "STS SecurityToken")
	flag.Parse()
	args := flag.Args()
	if *endpoint == "" || len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: osscli -endpoint E -ak ID -sk SECRET [-token T] <op> <bucket> [args...]")
		os.Exit(2)
	}
	options := []oss.ClientOption{oss.Timeout(10, 30)}
	if *token != "" {
		options = append(options, oss.SecurityToken(*token))
	}
	client, err := oss.New(*endpoint, *accessKeyID, *accessKeySecret, options...)
	if err != nil {
		report(nil, err)
		return
	}
	result, err := run(client, args[0], args[1], args[2:])
	report(result, err)
}

func need(args []string, n int, usage string) {
	if len(args) < n {
		fmt.Fprintln(os.Stderr, "usage:", usage)
		os.Exit(2)
	}
}

func run(client *oss.Client, op, bucketName string, args []string) (map[string]interface{}, error) {
	if op == "mb" {
		return map[string]interface{}{}, client.CreateBucket(bucketName)
	}
	bucket, err := client.Bucket(bucketName)
	if err != nil {
		return nil, err
	}
	switch op {
	case "put": // put BUCKET KEY FILE: the response's ETag and CRC (the SDK also checks the CRC itself)
		need(args, 2, "put BUCKET KEY FILE")
		data, err := ioutil.ReadFile(args[1])
		if err != nil {
			return nil, err
		}
		resp, err := bucket.DoPutObject(&oss.PutObjectRequest{ObjectKey: args[0], Reader: bytes.NewReader(data)}, nil)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return map[string]interface{}{"etag": resp.Headers.Get("ETag"), "crc64": resp.Headers.Get("X-Oss-Hash-Crc64ecma")}, nil
	case "get": // get BUCKET KEY OUTFILE [START END]: without a range the SDK checks the CRC
		need(args, 2, "get BUCKET KEY OUTFILE [START END]")
		var opts []oss.Option
		if len(args) == 4 {
			start, _ := strconv.ParseInt(args[2], 10, 64)
			end, _ := strconv.ParseInt(args[3], 10, 64)
			opts = append(opts, oss.Range(start, end))
		}
		return map[string]interface{}{}, bucket.GetObjectToFile(args[0], args[1], opts...)
	case "list": // list BUCKET PREFIX DELIMITER MAXKEYS: every page, following NextMarker (at most 100 pages)
		need(args, 3, "list BUCKET PREFIX DELIMITER MAXKEYS")
		maxKeys, _ := strconv.Atoi(args[2])
		keys, prefixes, pages := []string{}, []string{}, 0
		marker := ""
		for pages < 100 {
			page, err := bucket.ListObjects(oss.Prefix(args[0]), oss.Delimiter(args[1]), oss.MaxKeys(maxKeys), oss.Marker(marker))
			if err != nil {
				return nil, err
			}
			pages++
			for _, object := range page.Objects {
				keys = append(keys, object.Key)
			}
			prefixes = append(prefixes, page.CommonPrefixes...)
			if !page.IsTruncated {
				break
			}
			marker = page.NextMarker
		}
		return map[string]interface{}{"keys": keys, "prefixes": prefixes, "pages": pages}, nil
	case "exists": // exists BUCKET KEY (Go 1.5 sends GET /b/k??objectMeta)
		need(args, 1, "exists BUCKET KEY")
		found, err := bucket.IsObjectExist(args[0])
		return map[string]interface{}{"exists": found}, err
	case "meta": // meta BUCKET KEY (HEAD)
		need(args, 1, "meta BUCKET KEY")
		header, err := bucket.GetObjectDetailedMeta(args[0])
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"etag": header.Get("ETag"), "length": header.Get("Content-Length"),
			"crc64": header.Get("X-Oss-Hash-Crc64ecma"), "type": header.Get("X-Oss-Object-Type")}, nil
	case "rm": // rm BUCKET KEY
		need(args, 1, "rm BUCKET KEY")
		return map[string]interface{}{}, bucket.DeleteObject(args[0])
	case "rmmany": // rmmany BUCKET KEY...
		deleted, err := bucket.DeleteObjects(args)
		return map[string]interface{}{"deleted": deleted.DeletedObjects}, err
	case "copy": // copy BUCKET SRC DST
		need(args, 2, "copy BUCKET SRC DST")
		result, err := bucket.CopyObject(args[0], args[1])
		return map[string]interface{}{"etag": result.ETag}, err
	case "append": // append BUCKET KEY FILE POSITION [CRC]: with the CRC of the bytes before POSITION the SDK checks the new CRC
		need(args, 3, "append BUCKET KEY FILE POSITION [CRC]")
		data, err := ioutil.ReadFile(args[1])
		if err != nil {
			return nil, err
		}
		position, _ := strconv.ParseInt(args[2], 10, 64)
		var opts []oss.Option
		if len(args) == 4 {
			initial, _ := strconv.ParseUint(args[3], 10, 64)
			opts = append(opts, oss.InitCRC(initial))
		}
		// DoAppendObject, not AppendObject: 1.5.0's AppendObject dereferences a nil result on errors.
		result, err := bucket.DoAppendObject(&oss.AppendObjectRequest{ObjectKey: args[0], Reader: bytes.NewReader(data), Position: position}, opts)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"next": result.NextPosition, "crc64": strconv.FormatUint(result.CRC, 10)}, nil
	case "multipart": // multipart BUCKET KEY FILE PARTSIZE: initiate, upload parts, ListParts, complete
		need(args, 3, "multipart BUCKET KEY FILE PARTSIZE")
		partSize, _ := strconv.ParseInt(args[2], 10, 64)
		chunks, err := oss.SplitFileByPartSize(args[1], partSize)
		if err != nil {
			return nil, err
		}
		upload, err := bucket.InitiateMultipartUpload(args[0])
		if err != nil {
			return nil, err
		}
		var parts []oss.UploadPart
		for _, chunk := range chunks {
			part, err := bucket.UploadPartFromFile(upload, args[1], chunk.Offset, chunk.Size, chunk.Number)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part)
		}
		listed, err := bucket.ListUploadedParts(upload)
		if err != nil {
			return nil, err
		}
		listedParts := []map[string]interface{}{}
		for _, part := range listed.UploadedParts {
			listedParts = append(listedParts, map[string]interface{}{"number": part.PartNumber, "size": part.Size, "etag": part.ETag})
		}
		completed, err := bucket.CompleteMultipartUpload(upload, parts)
		return map[string]interface{}{"parts": len(parts), "listed": listedParts, "etag": completed.ETag}, err
	}
	fmt.Fprintln(os.Stderr, "unknown operation", op)
	os.Exit(2)
	return nil, nil
}

func report(result map[string]interface{}, err error) {
	out := map[string]interface{}{"ok": err == nil}
	for k, v := range result {
		out[k] = v
	}
	if err != nil {
		out["message"] = err.Error()
		if serviceError, ok := err.(oss.ServiceError); ok {
			out["status"] = serviceError.StatusCode
			out["code"] = serviceError.Code
			out["message"] = serviceError.Message
		} else if m := bodilessStatus.FindStringSubmatch(err.Error()); m != nil {
			status, _ := strconv.Atoi(m[1])
			out["status"] = status
		}
	}
	encoded, _ := json.Marshal(out)
	fmt.Println(string(encoded))
}
