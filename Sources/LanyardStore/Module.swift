// LanyardStore: under construction.
