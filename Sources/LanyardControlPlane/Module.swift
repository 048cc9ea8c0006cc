// LanyardControlPlane: under construction.
