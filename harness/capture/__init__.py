"""Frame sources: the reference camera clip, video decoding, in-page captures and screen recordings."""
