// LanyardPolicy: under construction.
