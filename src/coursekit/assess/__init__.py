"""Release, leak scan, grading, gradebook, feedback, progress."""
