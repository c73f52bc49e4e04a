"""Keeping an installation healthy: retention purges, backups and restores."""
