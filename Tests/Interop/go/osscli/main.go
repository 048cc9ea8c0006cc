// osscli drives Alibaba's Go OSS SDK (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev, 1.5.0) against
// an OSS endpoint for Lanyard's interop tests. Each run performs one operation and prints one JSON object:
// {"ok":true,...} with the operation's results, or {"ok":false,"status":N,"code":"...","message":"..."}
// with the service's error. Build in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o osscli ./Tests/Interop/go/osscli
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"strconv"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

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
	var options []oss.ClientOption
	if *token != "" {
		options = append(options, oss.SecurityToken(*token))
	}
	client, err := oss.New(*endpoint, *accessKeyID, *accessKeySecret, options...)
	if err != nil {
		report(nil, err)
	}
	result, err := run(client, args[0], args[1], args[2:])
	report(result, err)
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
	case "put": // put BUCKET KEY FILE
		return map[string]interface{}{}, bucket.PutObjectFromFile(args[0], args[1])
	case "get": // get BUCKET KEY OUTFILE [START END]
		var opts []oss.Option
		if len(args) == 4 {
			start, _ := strconv.ParseInt(args[2], 10, 64)
			end, _ := strconv.ParseInt(args[3], 10, 64)
			opts = append(opts, oss.Range(start, end))
		}
		return map[string]interface{}{}, bucket.GetObjectToFile(args[0], args[1], opts...)
	case "list": // list BUCKET PREFIX DELIMITER MAXKEYS: every page, following NextMarker
		maxKeys, _ := strconv.Atoi(args[2])
		keys, prefixes, pages := []string{}, []string{}, 0
		marker := ""
		for {
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
		found, err := bucket.IsObjectExist(args[0])
		return map[string]interface{}{"exists": found}, err
	case "meta": // meta BUCKET KEY
		header, err := bucket.GetObjectDetailedMeta(args[0])
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"etag": header.Get("ETag"), "length": header.Get("Content-Length"),
			"crc64": header.Get("X-Oss-Hash-Crc64ecma")}, nil
	case "rm": // rm BUCKET KEY
		return map[string]interface{}{}, bucket.DeleteObject(args[0])
	case "rmmany": // rmmany BUCKET KEY...
		deleted, err := bucket.DeleteObjects(args)
		return map[string]interface{}{"deleted": deleted.DeletedObjects}, err
	case "copy": // copy BUCKET SRC DST
		_, err := bucket.CopyObject(args[0], args[1])
		return map[string]interface{}{}, err
	case "append": // append BUCKET KEY FILE POSITION
		data, err := ioutil.ReadFile(args[1])
		if err != nil {
			return nil, err
		}
		position, _ := strconv.ParseInt(args[2], 10, 64)
		next, err := bucket.AppendObject(args[0], bytes.NewReader(data), position)
		return map[string]interface{}{"next": next}, err
	case "multipart": // multipart BUCKET KEY FILE PARTSIZE
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
		_, err = bucket.CompleteMultipartUpload(upload, parts)
		return map[string]interface{}{"parts": len(parts), "listed": len(listed.UploadedParts)}, err
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
		if serviceError, ok := err.(oss.ServiceError); ok {
			out["status"] = serviceError.StatusCode
			out["code"] = serviceError.Code
			out["message"] = serviceError.Message
		} else {
			out["message"] = err.Error()
		}
	}
	encoded, _ := json.Marshal(out)
	fmt.Println(string(encoded))
}
