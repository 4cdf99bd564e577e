"""The public notice board (公示栏, docs/public-board.md): what a notice's QR code opens, without logging in."""
