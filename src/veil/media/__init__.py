"""Media input and output: images, video files and live streams."""
