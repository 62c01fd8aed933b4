# Types from the class hierarchy: x a C, C rdfs:subClassOf+ D  =>  x a D.
# Only subclass axioms: types are never inferred from rdfs:domain or rdfs:range (they would
# hide the very errors that sh:class checks must catch; see docs/adr/0003).
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/inferred> { ?x rdf:type ?super } }
WHERE {
  GRAPH <https://w3id.org/chipgraph/graph/ontology> { ?class rdfs:subClassOf+ ?super }
  FILTER(isIRI(?super))
  GRAPH ?g { ?x rdf:type ?class }
  FILTER NOT EXISTS { GRAPH ?h { ?x rdf:type ?super } }
}
