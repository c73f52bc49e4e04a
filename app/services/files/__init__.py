"""Files people attach: type detection by content, metadata stripping, encrypted storage, hashes."""
