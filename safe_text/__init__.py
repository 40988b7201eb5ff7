"""Text from outside made safe where it enters or leaves the service: spreadsheet cells that cannot run as
formulas (`cells.py`) and the control characters no door accepts (`controls.py`). Pure: no Flask, no
database."""
