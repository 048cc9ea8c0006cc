// LanyardObjectStore: under construction.
