# Total processing performance of each chip, as the US rules define it: the maximum over the
# stated dense throughput figures of (10^12 operations per second) x (operand bit length).
# Which figures count is data, not code: the throughput properties the ontology marks
# cg:countsForTPP true (tensor and non-tensor figures alike; see that annotation for the rule
# and the reason). Each figure that attains the maximum is recorded as an input, with its
# property (whose cg:processingUnitKind and cg:epochColumn say which unit and which column it
# counts) and the graph (source) stating it.
# "#CHIPS#" is replaced by VALUES ?chip { ... } to recompute only the chips a merge changed (kg/gate/derive.py).
PREFIX cg:   <https://w3id.org/chipgraph/ontology#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/derived> {
  ?chip cg:computedTPP ?tpp .
  ?derivation a cg:MetricDerivation ; cg:derivedFor ?chip ; cg:derivedProperty cg:computedTPP ;
    cg:derivedValue ?tpp ; prov:wasDerivedFrom ?input .
  ?input a cg:FactReference ; cg:inputProperty ?p ; cg:inputValue ?v ; cg:inputGraph ?graphText ;
    prov:wasDerivedFrom ?source .
} }
WHERE {
  {
    SELECT ?chip (MAX(?v0 * ?bits0) AS ?tpp) WHERE {
      #CHIPS#
      GRAPH <https://w3id.org/chipgraph/graph/ontology> {
        ?p0 rdfs:subPropertyOf cg:denseThroughput ; cg:operandBitLength ?bits0 ; cg:countsForTPP true }
      GRAPH ?g0 { ?chip ?p0 ?v0 }
      FILTER(STRSTARTS(STR(?g0), "https://w3id.org/chipgraph/graph/")
             && ?g0 NOT IN (<https://w3id.org/chipgraph/graph/inferred>, <https://w3id.org/chipgraph/graph/derived>))
      FILTER(isNumeric(?v0))
    } GROUP BY ?chip
  }
  #CHIPS#
  GRAPH <https://w3id.org/chipgraph/graph/ontology> {
    ?p rdfs:subPropertyOf cg:denseThroughput ; cg:operandBitLength ?bits ; cg:countsForTPP true }
  GRAPH ?g { ?chip ?p ?v }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/chipgraph/graph/")
         && ?g NOT IN (<https://w3id.org/chipgraph/graph/inferred>, <https://w3id.org/chipgraph/graph/derived>))
  FILTER(isNumeric(?v) && ?v * ?bits = ?tpp)
  BIND(STRAFTER(STR(?chip), "https://w3id.org/chipgraph/id/chip/") AS ?slug)
  FILTER(?slug != "")
  BIND(IRI(CONCAT("https://w3id.org/chipgraph/id/derivation/", ?slug, "/tpp")) AS ?derivation)
  BIND(STRAFTER(STR(?g), "https://w3id.org/chipgraph/graph/") AS ?graphSlug)
  BIND(IRI(CONCAT(STR(?derivation), "/", STRAFTER(STR(?p), "#"), "/", ?graphSlug)) AS ?input)
  BIND(IRI(CONCAT("https://w3id.org/chipgraph/id/source/", ?graphSlug)) AS ?source)
  BIND(STRDT(STR(?g), xsd:anyURI) AS ?graphText)
}
