"""Personal information (docs/personal-information.md, PIPL): the privacy notice and consents, the record of who was shown a
resident's data, and the extension point through which every domain lists, exports and releases what it
holds about a person."""
