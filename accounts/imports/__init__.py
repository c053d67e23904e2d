"""Bulk import and export of accounts (CSV, XLSX) through django-import-export."""
