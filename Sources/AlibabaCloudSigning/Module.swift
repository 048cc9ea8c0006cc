// AlibabaCloudSigning: under construction.
