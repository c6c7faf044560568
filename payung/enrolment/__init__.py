"""Kepesertaan: sponsorships one by one and by the list, coverage per month, arrears and renewal, and the exchange with BPJS Ketenagakerjaan."""
