# LàngViệt: `make run` serves the site, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INI ?= development.ini
# One gettext domain per package that ships translations.
DOMAINS := tourism audio_guides heritage3d
# Add-ons' domains and the prefix their templates translate with (config.add_template_translators).
ADDON_PREFIXES := audio_guides:ag_ heritage3d:h3_

.PHONY: run test setup catalogs migrate demo extract clean

run: setup migrate demo
	$(BIN)/pserve $(INI)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed catalogs

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.0.1
	$(BIN)/pip install --quiet -c constraints.txt -e '.[testing]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

catalogs: $(VENV)/.installed
	@for domain in $(DOMAINS); do \
		$(BIN)/pybabel compile --statistics -d locales -D $$domain || exit 1; \
	done

migrate: $(VENV)/.installed
	mkdir -p var
	$(BIN)/langviet migrate $(INI)

demo: migrate
	$(BIN)/langviet demo $(INI)

# Refresh the catalogs after changing user-visible strings (then translate the new entries).
extract: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _ -k _n:1,2 -o locales/tourism.pot tourism
	$(BIN)/pybabel update --no-fuzzy-matching -i locales/tourism.pot -d locales -D tourism
	@for pair in $(ADDON_PREFIXES); do \
		domain=$${pair%%:*}; prefix=$${pair##*:}; \
		$(BIN)/pybabel extract --no-location --sort-output --no-default-keywords -F babel.cfg \
			-k _ -k $$prefix -k $${prefix}n:1,2 -o locales/$$domain.pot $$domain || exit 1; \
		for locale in vi en ko zh ja fr; do \
			po=locales/$$locale/LC_MESSAGES/$$domain.po; \
			if [ -f $$po ]; then $(BIN)/pybabel update --no-fuzzy-matching -i locales/$$domain.pot -d locales -D $$domain -l $$locale; \
			else $(BIN)/pybabel init -i locales/$$domain.pot -d locales -D $$domain -l $$locale; fi || exit 1; \
		done; \
	done

clean:
	rm -rf $(VENV) node_modules var
	find locales -name '*.mo' -delete
