"""Demo data shaped by the seed (docs/demo.md) and the demo servers.

- `population`: the plan and every partner's profile, initial tier and share of the order lines;
- `register`, `orders`: one partner's register entry and its orders, lines and credit notes;
- `generator`: streams partners with their orders, one at a time, deterministically;
- `reference`: the product catalogue and the German cities;
- `customers`, `subscriptions`, `sectors`, `regions`: the partners' end customers with their
  contracts and spans of care, one partner at a time (R10);
- `loader`, `customer_loader`, `writers`, `streaming`: write them in chunks (COPY on
  PostgreSQL), idempotently;
- `accounts`: the vendor staff, support desk and partner-user logins;
- `shape`: what the loaded data looks like, measured as the tier criteria and the reminder flow
  see it;
- `serve`: the job worker and the web server behind `channeldesk demo serve`.
"""
