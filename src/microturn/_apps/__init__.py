"""The applications built on the library: the command line, the terminal chat, the web server and the timeline page."""
