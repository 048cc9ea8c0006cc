// AlibabaCloudCredentials: under construction.
