/* This file is part of the GRU. The COPYRIGHT file at the top level of
 * this repository contains the full copyright notices and license terms.
 *
 * Loaded by sao from its web root (scripts/setup and docker/Dockerfile copy
 * it there).
 *
 * sao 8.0 rebuilds the options of a selection field whenever the record
 * changes and selects the record's value again only on a later tick: until
 * then the browser shows, and a button clicked at once (Send of the reply
 * wizard right after typing its body) reads, the first option ("Accueil
 * physique" for a channel). Select the value as soon as the options are
 * set. */
(function() {
    'use strict';
    var Selection = Sao.View.Form.Selection;
    var set_selection = Selection.prototype.set_selection;
    Selection.prototype.set_selection = function(selection, help) {
        set_selection.call(this, selection, help);
        if (this.record && this.field) {
            this.select.val(JSON.stringify(this.field.get(this.record)));
        }
    };
}());
