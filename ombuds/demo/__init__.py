"""The demonstration data and the `ombuds demo` command that loads it: both seed bodies with their
codes published, a register, case workers, cases in varied states, members and a campaign.

It sits above every other app and nothing in `ombuds` imports it (the layering contracts in
pyproject.toml check that); only the command and the tests do. The loader is `ombuds.demo.loader`
(`load_demo`, `DemoError`); the data of each app is in `register_data`, `cases_data` and
`members_data`."""
