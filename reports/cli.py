from flask.cli import AppGroup

report_cli = AppGroup("report", help="Reports: needs against provision.")
