"""The toll-free line with a real SIP peer: Kamailio (config/kamailio),
SIP user agents for the IVR caller and the agents, and the GRU's phone
endpoints on a demo server."""
