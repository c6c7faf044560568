"""What Payung shows and prints: the dashboard's figures and charts, the monthly report, bills and receipts as documents, spreadsheets written, and the letterhead."""
