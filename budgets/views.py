"""Budget and project pages."""
from participation.tenancy import commune_blueprint

bp = commune_blueprint("budgets", __name__, url_prefix="/processes/<process>/budgets", template_folder="templates")
