"""The annual reports: the Partner2Connect progress report and the Secretary-General's report on IP-based
networks, built from the registry and the data as of a date, as HTML and PDF."""
