"""Browser test: sao can build every form and list of the GRU. For each
view of our modules (with what they inherit), as sao receives it: each
field has a widget of sao for its kind of view, and each PYSON attribute
is encoded. sao 8.0 has no list column for date-time fields and stops on a
PYSON written as Python in the XML; either leaves a list on "Traitement
en cours" forever."""

from tests.browser import sao

# run in the page, as admin: returns [views checked, problems]
CHECK_VIEWS = """
async () => {
    const session = Sao.Session.current_session;
    // a call that fails rejects (sao would open a dialog) or times out
    const rpc = (method, params) => new Promise((resolve, reject) => {
        Sao.rpc({'method': method, 'params': params.concat([{}])},
            session, true, false).then(resolve, reject);
        setTimeout(() => reject('timeout: ' + method), 60000);
    });
    const views = await rpc('model.ir.ui.view.search_read', [
        [['module', 'like', 'gru_%']], 0, null, null,
        ['id', 'model', 'type', 'inherit']]);
    const bases = new Set(views.map(view => view.inherit || view.id));
    const parents = await rpc('model.ir.ui.view.read', [
        Array.from(bases), ['id', 'model', 'type', 'inherit']]);
    const widgets = {
        'tree': Sao.View.TreeXMLViewParser.WIDGETS,
        'form': Sao.View.FormXMLViewParser.WIDGETS,
    };
    const pyson = ['states', 'visual', 'tree_invisible', 'spell', 'change'];
    const problems = [];
    let checked = 0;
    for (const view of parents) {
        if (!(view.type in widgets) || !view.model) {
            continue;
        }
        let result;
        try {
            result = await rpc('model.' + view.model + '.fields_view_get',
                [view.id, view.type]);
        } catch (error) {
            problems.push([view.model, view.id, 'not loaded',
                JSON.stringify(error).slice(0, 200)]);
            continue;
        }
        checked += 1;
        const arch = new DOMParser().parseFromString(
            result.arch, 'text/xml');
        for (const node of arch.querySelectorAll('*')) {
            const name = node.getAttribute('name');
            if (node.tagName == 'field' && result.fields[name]) {
                const widget = (node.getAttribute('widget') ||
                    result.fields[name].type);
                if (!(widget in widgets[view.type])) {
                    problems.push([view.model, view.id, name,
                        'no ' + view.type + ' widget ' + widget]);
                }
            }
            for (const attribute of pyson) {
                const value = node.getAttribute(attribute);
                if (value === null) {
                    continue;
                }
                try {
                    new Sao.PYSON.Decoder({}, true).decode(value);
                } catch (error) {
                    problems.push([view.model, view.id, name || node.tagName,
                        attribute + ' not PYSON: ' + value]);
                }
            }
        }
    }
    return [checked, problems];
}
"""


class ViewsBrowserTestCase(sao.BrowserTestCase):

    def test_views_buildable(self):
        "Every form and list of the GRU has widgets and PYSON sao reads"
        page = self.page
        sao.login(page, self.server)
        page.locator('#menu div.column-char').first.wait_for(timeout=30000)
        checked, problems = page.evaluate(CHECK_VIEWS)
        self.assertGreater(checked, 100)
        self.assertEqual(problems, [])
