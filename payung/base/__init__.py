"""Pure helpers every layer may use: the clock, errors and problems, text, formats, months,
identity numbers (NIK, NIP, phone), money arithmetic and the rate table, a month's coverage
status, the spreadsheets Payung writes, the settings of config.toml and the catalogues
(occupations, sponsor types). No database, no Streamlit, no state.

Imports nothing of Payung but ``payung.base``; every other package, and ``db``, may import it.
"""
