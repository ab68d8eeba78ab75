"""Ballot pages."""
from participation.tenancy import commune_blueprint

bp = commune_blueprint("votes", __name__, url_prefix="/processes/<process>/vote", template_folder="templates")
