"""Money owed and paid: bills, payments, budgets and claims."""
