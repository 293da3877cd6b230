//! OAuth 2.1 for MCP servers (protected-resource metadata, authorization-server discovery, PKCE, dynamic client registration, tokens) as plain requests and parses.
