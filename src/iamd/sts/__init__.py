"""STS operations: assuming roles, minting and sealing temporary credentials."""
