"""Performance measurement: workloads built from Debian sources and our microbenchmarks, timed on
every engine:tier and on native code built from the same sources with the same compiler flags."""
