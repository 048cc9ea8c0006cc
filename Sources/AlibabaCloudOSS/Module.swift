// AlibabaCloudOSS: under construction.
