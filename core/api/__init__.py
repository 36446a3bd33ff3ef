"""What every app's REST API shares: the viewset base, fields and parsers, role permissions,
the schema's error answers and the audit-trail endpoint."""
