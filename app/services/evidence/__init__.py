"""Evidence leaving the portal: case files (ZIP with manifest), bulk exports, verification."""
