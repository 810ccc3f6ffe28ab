"""Databases: resolving the app's database, engines that back up / verify / restore it, the backup catalog."""
