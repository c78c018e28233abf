"""The ntmcert decision service: an HTTP API for approval workflows, with an append-only,
verifiable decision log (`ntmcert serve`)."""
