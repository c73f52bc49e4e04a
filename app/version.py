"""The release this code is (semantic versioning; CHANGELOG.md says what each one changed and
docs/UPGRADING.md what an upgrade to it needs). Standard library only: `moksori --version`
reads it before any setting is loaded."""

__version__ = "0.5.0"
