"""Proposal pages (the proposals issue fills this blueprint)."""
from participation.tenancy import commune_blueprint

bp = commune_blueprint("proposals", __name__, url_prefix="/processes/<process>/proposals", template_folder="templates")
