"""IAM operations, one module per resource family; each handler registers itself."""
