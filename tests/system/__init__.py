"""System tests: cases end to end, the command line, MPI, result folders, documentation."""
