//! OAuth for MCP servers at work: discovery, authorization and tokens over the transport.
