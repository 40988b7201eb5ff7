"""Text from outside made safe where it leaves the service: spreadsheet cells that cannot run as formulas
(`cells.py`). Pure: no Flask, no database."""
