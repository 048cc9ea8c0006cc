// LanyardHTTP: under construction.
