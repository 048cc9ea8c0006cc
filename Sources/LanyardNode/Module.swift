// LanyardNode: under construction.
