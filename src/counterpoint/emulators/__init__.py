"""Stand-ins for other parties, for tests, the demo and partners' certification runs; no production adapter
imports them. `partner_json`: a non-MEF partner's own JSON API (what suppliers/partner_json/ talks to). The Seller
itself (a profile under profiles/) emulates a MEF Seller, and network/controller.py a network controller."""
