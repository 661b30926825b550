// surveylab's part of the FootprintViewer front end (see surveylab_widgets/aladin.py).
// `hook(A)` wraps Aladin Lite so that no default survey, HiPS list or logger reaches the
// internet and `surveylab:hips` means the lab's own HiPS (in a page with no lab, such as a
// published notebook, no HiPS is asked for: the sky stays plain and a note says why);
// `wrap(widget)` adds the overlays of the `_layers` trait (drawn from the widget state, so an
// exported notebook shows them too) and the `message` trait. Everything stays inside this one expression: the module is joined
// with ipyaladin's minified code, whose top-level names must not clash.
export default (() => {
  let lastAladin = null;
  let library = null;

  function baseUrl() {
    const node = document.getElementById('jupyter-config-data');
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || '{}').baseUrl || null;
    } catch {
      return null;
    }
  }

  function isLabHips(survey) {
    return typeof survey === 'string' && survey.startsWith('surveylab:hips');
  }

  // `surveylab:hips` -> the lab's HiPS (none without a lab); '' -> no survey (a dark sky).
  function resolveSurvey(survey) {
    if (typeof survey !== 'string' || survey === '') return null;
    if (isLabHips(survey)) {
      const base = baseUrl();
      if (base === null) return null;
      return new URL(base.replace(/\/?$/, '/') + 'surveylab/api/hips', window.location.href).href;
    }
    return survey;
  }

  function hook(A) {
    library = A;
    function aladin(div, options) {
      const survey = resolveSurvey(options.survey);
      const instance = A.aladin(div, {
        ...options,
        survey: survey === null ? [] : survey,
        hipsList: [],
        log: false,
        samp: false
      });
      const setImageSurvey = instance.setImageSurvey.bind(instance);
      instance.setImageSurvey = (value) => {
        const url = resolveSurvey(value);
        if (url !== null) setImageSurvey(url);
      };
      // Aladin Lite 3.8's WCS needs a base image layer, which a dark sky (or a HiPS still
      // loading) lacks; ipyaladin asks for it on every move.
      const getViewWCS = instance.getViewWCS.bind(instance);
      instance.getViewWCS = () => {
        try {
          return getViewWCS();
        } catch {
          return {};
        }
      };
      // 'offline': the release has a HiPS but this page has no lab to serve it
      div.dataset.hips = survey !== null ? survey : isLabHips(options.survey) ? 'offline' : 'none';
      lastAladin = instance;
      return instance;
    }
    return new Proxy(A, { get: (target, key) => (key === 'aladin' ? aladin : target[key]) });
  }

  function drawLayer(A, aladin, layer) {
    const opacity = layer.opacity ?? 1;
    if (layer.type === 'polygons') {
      const overlay = A.graphicOverlay({ name: layer.name, color: layer.color, lineWidth: layer.line_width ?? 1 });
      aladin.addOverlay(overlay);
      layer.polygons.forEach((vertices, i) => {
        const colour = layer.colors ? layer.colors[i] : layer.color;
        // a fill's alpha is in its colour (#rrggbbaa), so lines stay opaque over the HiPS
        const alpha = Math.round(opacity * 255).toString(16).padStart(2, '0');
        const style = layer.fill
          ? { color: colour, fillColor: `${colour}${alpha}`, fill: true }
          : { color: colour };
        overlay.add(A.polygon(vertices, style));
      });
      return { overlay, count: layer.polygons.length };
    }
    if (layer.type === 'moc') {
      const overlay = A.MOCFromJSON(layer.json, {
        name: layer.name, color: layer.color, lineWidth: 2, opacity, fill: false
      });
      aladin.addMOC(overlay);
      return { overlay, count: Object.values(layer.json).reduce((n, cells) => n + cells.length, 0) };
    }
    if (layer.type === 'markers') {
      const overlay = A.catalog({
        name: layer.name, color: layer.color, sourceSize: layer.size ?? 10, shape: layer.shape ?? 'circle'
      });
      aladin.addCatalog(overlay);
      overlay.addSources(layer.ra.map((ra, i) =>
        A.source(ra, layer.dec[i], { layer: layer.name, row: layer.rows[i], label: layer.labels ? layer.labels[i] : '' })
      ));
      return { overlay, count: layer.ra.length };
    }
    throw new Error(`unknown layer type ${layer.type}`);
  }

  function wrap(widget) {
    return {
      initialize: widget.initialize,
      render(context) {
        const { model, el } = context;
        const cleanup = widget.render(context);
        const aladin = lastAladin;
        const message = document.createElement('div');
        message.className = 'surveylab-footprint-message';
        message.setAttribute('role', 'status');
        message.style.cssText = 'padding:4px 8px;color:#b71c1c;font:13px sans-serif';
        el.prepend(message);
        if (el.querySelector('[data-hips="offline"]')) {
          const note = document.createElement('div');
          note.className = 'surveylab-footprint-note';
          note.style.cssText = 'padding:2px 8px;color:#666;font:12px sans-serif';
          note.textContent =
            "No sky images: the release's HiPS is served by the lab. The overlays come from the notebook.";
          el.append(note);
        }
        let drawn = [];
        const draw = () => {
          for (const item of drawn) {
            try { aladin.removeLayer(item.overlay); } catch { /* already gone */ }
          }
          drawn = [];
          const counts = {};
          for (const layer of model.get('_layers') || []) {
            try {
              const item = drawLayer(library, aladin, layer);
              drawn.push(item);
              counts[layer.name] = item.count;
            } catch (error) {
              counts[layer.name] = `error: ${error}`;
            }
          }
          el.dataset.layers = JSON.stringify(counts);
        };
        const showMessage = () => {
          message.textContent = model.get('message') || '';
          message.style.display = message.textContent ? 'block' : 'none';
        };
        draw();
        showMessage();
        el.dataset.surveylabFootprint = 'ready';
        model.on('change:_layers', draw);
        model.on('change:message', showMessage);
        return () => {
          model.off('change:_layers', draw);
          model.off('change:message', showMessage);
          if (typeof cleanup === 'function') cleanup();
        };
      }
    };
  }

  return { hook, wrap };
})();
