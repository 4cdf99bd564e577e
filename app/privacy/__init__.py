"""Personal information (DESIGN §12, PIPL): the privacy notice and consents, the record of who was shown a
resident's data, and the extension point through which every domain lists, exports and releases what it
holds about a person."""
