"""WeChat server APIs (jscode2session, access token, phone number) and a local fake of them."""
