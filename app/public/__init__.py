"""The public notice board (公示栏, DESIGN.md §11): what a notice's QR code opens, without logging in."""
